namespace MlOps.Deploy;

public static class PredictionIds
{
    /// <summary>
    /// A prediction's ID: the run that answered (32 hex digits, so lineage finds the model from the ID alone), '-', then 24 random
    /// hex digits for the request and 8 for the row: unique, and one random draw per request rather than per row.
    /// </summary>
    public static string Of(string run, string request, int row) => string.Create(65, (run, request, row), static (span, s) =>
    {
        s.run.AsSpan().CopyTo(span);
        span[32] = '-';
        s.request.AsSpan().CopyTo(span[33..]);
        s.row.TryFormat(span[57..], out _, "x8");
    });
}
