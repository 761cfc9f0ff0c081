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
        builder.Services.AddOptions<ValidateOptions>().BindConfiguration("Validate").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ValidationWarmUp>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ValidationWarmUp>());
        builder.Services.AddHealthChecks().AddCheck<ValidationWarmUp>("validation-warm-up");
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x) => x.AddConsumer<DataArrivedConsumer, DataArrivedConsumerDefinition>();
}
