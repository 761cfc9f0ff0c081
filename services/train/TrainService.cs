using MassTransit;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.Train.Consumers;

namespace MlOps.Train;

/// <summary>The train stage: a validated dataset in, a reproducible ML.NET model and its checked ONNX export out.</summary>
public static class TrainService
{
    public static IHostApplicationBuilder AddTrain(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddOptions<TrainOptions>().BindConfiguration("Train").ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x) => x.AddConsumer<DataValidatedConsumer, DataValidatedConsumerDefinition>();
}
