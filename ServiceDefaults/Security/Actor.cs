using System.Security.Claims;

namespace MlOps.ServiceDefaults.Security;

/// <summary>Who did something, as the model log and the run events record it: the authenticated identity, never what a caller typed.</summary>
public static class Actor
{
    /// <summary>The identity's name: a token's subject, <c>key:{name}</c> for an API key, <c>anonymous</c> where anonymous access is on.</summary>
    public static string Of(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true && !string.IsNullOrEmpty(user.Identity.Name)
        ? user.Identity.Name : "anonymous";

    /// <summary>The identity, with what the caller said about whom they act for (a free-text note, never the actor itself).</summary>
    public static string Of(ClaimsPrincipal user, string? onBehalfOf)
    {
        var who = Of(user);
        var note = onBehalfOf?.Trim();
        return string.IsNullOrEmpty(note) || note == who ? who : $"{who} (for {note[..Math.Min(note.Length, 200)]})";
    }
}
