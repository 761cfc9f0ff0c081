using MlOps.Monitor;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMlOpsSecurity();
builder.AddMonitor();
builder.AddMlOpsMessaging(MonitorService.Consumers);

var app = builder.Build();
app.UseMlOpsSecurity();
app.MapMonitorApi();
app.MapDefaultEndpoints();
app.Run();
