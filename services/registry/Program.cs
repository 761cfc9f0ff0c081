using MlOps.Registry;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRegistry();
builder.AddMlOpsMessaging(RegistryService.Consumers);

var app = builder.Build();
app.MapRegistryApi();
app.MapDefaultEndpoints();
app.Run();
