using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Validate;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMlOpsSecurity();
builder.AddValidate();
builder.AddMlOpsMessaging(ValidateService.Consumers);

var app = builder.Build();
app.UseMlOpsSecurity();
app.MapValidateApi();
app.MapDefaultEndpoints();
app.Run();
