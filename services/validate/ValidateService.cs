using MassTransit;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.Validate.Consumers;

namespace MlOps.Validate;

/// <summary>The validate stage: bad data stops here with a report a person reads in a minute.</summary>
public static class ValidateService
{
    public static IHostApplicationBuilder AddValidate(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x) => x.AddConsumer<DataArrivedConsumer, DataArrivedConsumerDefinition>();
}
