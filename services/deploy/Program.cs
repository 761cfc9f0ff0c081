using MlOps.Deploy;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMlOpsSecurity();
builder.AddDeploy();
builder.AddMlOpsMessaging(DeployService.Consumers);

var app = builder.Build();
app.UseMlOpsSecurity();
app.MapInferenceApi();
app.MapDefaultEndpoints();
app.Run();
