namespace MlOps.Contracts;

/// <summary>The registry's gate let this model version through; deploy rolls it out (its ONNX file is under the run).</summary>
public record ModelApproved(
    Guid RunId,
    string Pipeline,
    int Version,
    string ModelSha256,
    IReadOnlyList<string> Reasons) : IRunMessage;
