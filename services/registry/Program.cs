using MlOps.Registry;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMlOpsSecurity();
builder.AddRegistry();
builder.AddMlOpsMessaging(RegistryService.Consumers);

var app = builder.Build();
app.UseMlOpsSecurity();
app.MapRegistryApi();
app.MapDefaultEndpoints();
app.Run();
