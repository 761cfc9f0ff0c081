using MlOps.Embedded;

// The embedded app: with no command it serves (API, console, inference) until stopped; `run` is the main job.
switch (args)
{
    case ["run", .. var rest]:
        return await PipelineJob.RunAsync(rest);
    case ["--help" or "-h" or "-?" or "help", ..]:
        Console.WriteLine(PipelineJob.Usage);
        return 0;
    case [var command, ..] when !command.StartsWith('-'):
        Console.Error.WriteLine($"MlOps: unknown command '{command}'.\n\n{PipelineJob.Usage}");
        return 2;
}
var app = EmbeddedHost.Build(args);
await app.RunAsync();
return 0;
