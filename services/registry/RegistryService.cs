using MassTransit;
using Microsoft.Extensions.Options;
using MlOps.Registry.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

/// <summary>The registry: every run's timeline, every model version, the champion alias and the gate.</summary>
public static class RegistryService
{
    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddOptions<RegistryOptions>().BindConfiguration("Registry").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<GateEvaluator>();
        builder.Services.AddSingleton(sp => new RegistryStore(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Database, TimeProvider.System));
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelTrainedConsumer>();
        x.AddConsumer<RunTimelineConsumer>();
    }
}
