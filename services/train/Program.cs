using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Train;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMlOpsSecurity();
builder.AddTrain();
builder.AddMlOpsMessaging(TrainService.Consumers);

var app = builder.Build();
app.UseMlOpsSecurity();
app.MapDefaultEndpoints();
app.Run();
