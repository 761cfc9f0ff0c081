using MlOps.Ingest;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMlOpsSecurity();
builder.AddIngest();
builder.AddMlOpsMessaging(IngestService.Consumers);

var app = builder.Build();
app.UseMlOpsSecurity();
app.MapIngestApi();
app.MapDefaultEndpoints();
app.Run();
