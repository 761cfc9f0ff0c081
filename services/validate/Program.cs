using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Validate;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddValidate();
builder.AddMlOpsMessaging(ValidateService.Consumers);

var app = builder.Build();
app.MapValidateApi();
app.MapDefaultEndpoints();
app.Run();
