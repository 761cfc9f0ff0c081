using MlOps.Monitor;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMonitor();
builder.AddMlOpsMessaging(MonitorService.Consumers);

var app = builder.Build();
app.MapMonitorApi();
app.MapDefaultEndpoints();
app.Run();
