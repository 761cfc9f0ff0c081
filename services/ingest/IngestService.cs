using MassTransit;
using MlOps.Ingest.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Ingest;

/// <summary>The ingest stage: takes datasets in, gives each run its exact bytes, spec and manifest, and starts it.</summary>
public static class IngestService
{
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddOptions<IngestOptions>().BindConfiguration("Ingest").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PipelineCatalog>();
        builder.Services.AddSingleton<RunStarter>();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<RetrainRequestedConsumer, RetrainRequestedConsumerDefinition>();
        x.AddConsumer<DataValidatedConsumer, DataValidatedConsumerDefinition>();
    }
}
