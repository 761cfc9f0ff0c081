using MlOps.Embedded;

if (args.Length > 0 && args[0] == "run")
{
    return await PipelineJob.RunAsync(args[1..]);
}

var app = EmbeddedHost.Build(args);
await app.RunAsync();
return 0;
