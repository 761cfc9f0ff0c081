using System.Reflection;

namespace MlOps.ServiceDefaults;

/// <summary>The version of the code that ran, with the git commit the SDK stamps into the informational version.</summary>
public static class CodeVersion
{
    public static string Current { get; } =
        typeof(CodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
