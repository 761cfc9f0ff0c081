namespace MlOps.Contracts;

/// <summary>Deploy no longer serves the pipeline: <see cref="Version"/> (run <see cref="RunId"/>) was the last one serving.</summary>
public record ModelRetired(Guid RunId, string Pipeline, int Version, string Reason, string By, DateTimeOffset RetiredAt) : IRunMessage;
