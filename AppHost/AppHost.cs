using MlOps.AppHost;

// The MlOps app model. With no settings it runs the embedded mode: all six stages in one process with an in-memory bus
// and a filesystem store, so it works on a machine with nothing but the .NET SDK. See MlOpsTopology for the other modes.
var builder = DistributedApplication.CreateBuilder(args);
MlOpsTopology.Add(builder);
builder.Build().Run();
