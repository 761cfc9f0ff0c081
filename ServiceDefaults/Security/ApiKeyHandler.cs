using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MlOps.ServiceDefaults.Security;

public sealed class ApiKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>The role anonymous callers get (<c>Auth:Anonymous</c>); none by default.</summary>
    public string? AnonymousRole { get; set; }
}

/// <summary>
/// API keys: <c>X-Api-Key: {key}</c>, <c>Authorization: ApiKey {key}</c>, or the console's cookie (<see cref="ApiKeys.Cookie"/>,
/// set by <c>POST /login</c>). A request with none is anonymous: refused, unless <c>Auth:Anonymous</c> names a role for it.
/// </summary>
public sealed class ApiKeyHandler(IOptionsMonitor<ApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys)
    : AuthenticationHandler<ApiKeyOptions>(options, logger, encoder)
{
    public const string Name = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[ApiKeys.Header].FirstOrDefault();
        if (key is null && Request.Headers.Authorization.FirstOrDefault() is { } authorization && authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase))
            key = authorization["ApiKey ".Length..].Trim();
        key ??= Request.Cookies[ApiKeys.Cookie];
        if (key is null)
        {
            return Task.FromResult(Options.AnonymousRole is { } role
                ? Success("anonymous", [role])
                : AuthenticateResult.NoResult());
        }
        return Task.FromResult(keys.TryFind(key.Trim(), out var name, out var roles)
            ? Success(name, roles)
            : AuthenticateResult.Fail("The API key is not one this service knows."));
    }

    AuthenticateResult Success(string name, IEnumerable<string> roles)
    {
        var identity = new ClaimsIdentity(roles.Select(r => new Claim(ClaimTypes.Role, r)).Prepend(new Claim(ClaimTypes.Name, name)), Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "ApiKey, Bearer";
        return Task.CompletedTask;
    }
}
