using System.Globalization;
using System.Net;

namespace MlOps.ServiceDefaults.Pages;

/// <summary>What every page MlOps renders (validation report, drift report, console, run page) escapes its text with.</summary>
public static class Html
{
    /// <summary>Any value as HTML text: invariant culture, encoded, never null.</summary>
    public static string E(object? value) => WebUtility.HtmlEncode(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
}
