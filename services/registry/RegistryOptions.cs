using System.ComponentModel.DataAnnotations;

namespace MlOps.Registry;

/// <summary>Bound from <c>Registry</c>.</summary>
public sealed class RegistryOptions
{
    /// <summary>The SQLite file holding runs, versions, aliases and the event log.</summary>
    [Required]
    public string Database { get; set; } = Path.Combine(".mlops", "registry.db");
}
