using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Train;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTrain();
builder.AddMlOpsMessaging(TrainService.Consumers);

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
