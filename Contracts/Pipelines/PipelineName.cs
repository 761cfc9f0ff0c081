namespace MlOps.Contracts;

/// <summary>Pipeline names end up in object keys, queue names and URLs, so they are kept to a safe alphabet.</summary>
public static partial class PipelineName
{
    public const string Rule = "1 to 63 characters: lowercase letters, digits and '-', starting with a letter or digit";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
