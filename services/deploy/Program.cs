using MlOps.Deploy;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeploy();
builder.AddMlOpsMessaging(DeployService.Consumers);

var app = builder.Build();
app.MapInferenceApi();
app.MapDefaultEndpoints();
app.Run();
