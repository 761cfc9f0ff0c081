using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MlOps.Tests;

/// <summary>
/// An OpenID Connect issuer of the test's own on a loopback port: the discovery document and the signing key set (JWKS)
/// over real HTTP, as Entra ID or Keycloak serve them, and RS256 tokens signed with that key. MlOps finds the key the way it
/// would in production, from <c>Auth:Jwt:Authority</c>.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly RsaSecurityKey _key;
    public string Authority { get; }

    TokenIssuer(WebApplication app, RsaSecurityKey key, string authority) => (_app, _key, Authority) = (app, key, authority);

    public static async Task<TokenIssuer> StartAsync()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        string? authority = null;
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = authority!, ["jwks_uri"] = authority + "/keys", ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/keys", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        await app.StartAsync();
        authority = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return new TokenIssuer(app, key, authority);
    }

    /// <summary>A token for <paramref name="subject"/> with <paramref name="roles"/>, for the audience <c>mlops</c> unless told otherwise.</summary>
    public string Token(string subject, string[] roles, string audience = "mlops", TimeSpan? lifetime = null, RsaSecurityKey? signedWith = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(10));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority, Audience = audience,
            IssuedAt = expires < now ? expires.AddMinutes(-10) : now, NotBefore = expires < now ? expires.AddMinutes(-10) : now, Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["roles"] = roles },
            SigningCredentials = new SigningCredentials(signedWith ?? _key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
