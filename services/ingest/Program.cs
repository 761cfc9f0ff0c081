using MlOps.Ingest;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngest();
builder.AddMlOpsMessaging(IngestService.Consumers);

var app = builder.Build();
app.MapIngestApi();
app.MapDefaultEndpoints();
app.Run();
