using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using MlOps.ServiceDefaults.Pages;

namespace MlOps.ServiceDefaults.Security;

/// <summary>
/// Authentication, roles and rate limits, the same in every service and in the embedded app. Callers present an API key
/// (<see cref="ApiKeyHandler"/>) or a JWT bearer token from an OpenID Connect issuer (<c>Auth:Jwt:Authority</c>, with
/// <c>Auth:Jwt:Audience</c>; roles from the claim <c>Auth:Jwt:RoleClaim</c>, default <c>roles</c>; the identity from
/// <c>Auth:Jwt:NameClaim</c>, default <c>sub</c>). Every endpoint needs a role (reading: any; writing: the one it names);
/// /health, /alive, the V2 health probes and /login are open. Anonymous access (<c>Auth:Anonymous</c> = a role) is refused
/// unless the app listens on loopback only. Refusals are ProblemDetails: 401 saying how to authenticate, 403 naming the
/// role needed, 429 with Retry-After.
/// </summary>
public static class SecurityExtensions
{
    const string Selector = "MlOps";

    /// <summary>The rate-limited kinds of request, each limited per identity per minute (<c>RateLimits:{name}:PermitsPerMinute</c>).</summary>
    public static readonly IReadOnlyDictionary<string, int> RateLimitDefaults = new Dictionary<string, int>
    {
        ["Uploads"] = 120, ["Specs"] = 120, ["Retrain"] = 60, ["Feedback"] = 1200, ["Commands"] = 120,
    };

    public static TBuilder AddMlOpsSecurity<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var config = builder.Configuration;
        var anonymous = config["Auth:Anonymous"] is { Length: > 0 } a ? a.Trim() : null;
        if (anonymous is not null)
        {
            if (!Roles.All.Contains(anonymous))
                throw new InvalidOperationException($"Auth:Anonymous is '{anonymous}'; give the role anonymous callers get ({string.Join(", ", Roles.All)}), or leave it unset so every caller needs a key or a token.");
            if (NonLoopbackAddress(config) is { } exposed)
                throw new InvalidOperationException($"Auth:Anonymous is set while the app listens on {exposed}, beyond this machine: anonymous access is allowed on loopback only " +
                    "(urls=http://127.0.0.1:…). Unset Auth:Anonymous and use an API key or a token.");
        }
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddSingleton(sp => WebhookPolicy.From(sp.GetRequiredService<IConfiguration>()));
        var jwt = Jwt(config);
        var authentication = builder.Services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, "API key or bearer token", o => o.ForwardDefaultSelector = http =>
                jwt is not null && http.Request.Headers.Authorization.FirstOrDefault() is { } h && h.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme : ApiKeyHandler.Name)
            .AddScheme<ApiKeyOptions, ApiKeyHandler>(ApiKeyHandler.Name, o => o.AnonymousRole = anonymous);
        if (jwt is { } issuer)
        {
            authentication.AddJwtBearer(o =>
            {
                o.Authority = issuer.Authority;
                o.Audience = issuer.Audience;
                o.RequireHttpsMetadata = config.GetValue("Auth:Jwt:RequireHttpsMetadata", true);
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateAudience = issuer.Audience is not null,
                    NameClaimType = config["Auth:Jwt:NameClaim"] ?? "sub",
                    RoleClaimType = config["Auth:Jwt:RoleClaim"] ?? "roles",
                };
            });
        }
        builder.Services.AddAuthorization(o =>
        {
            var read = new AuthorizationPolicyBuilder(Selector).RequireRole(Roles.All).Build();
            o.DefaultPolicy = read;
            o.FallbackPolicy = read;
        });
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        builder.Services.AddRateLimiter(o =>
        {
            foreach (var (name, permits) in RateLimitDefaults)
            {
                var configured = config[$"RateLimits:{name}:PermitsPerMinute"];
                var limit = permits;
                if (configured is not null && (!int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
                    throw new InvalidOperationException($"RateLimits:{name}:PermitsPerMinute is '{configured}'; give how many such requests one identity may make a minute, a whole number of 1 or more.");
                o.AddPolicy(name, http => RateLimitPartition.GetFixedWindowLimiter(Actor.Of(http.User),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            }
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : 60;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: 429, title: "Too many requests",
                    detail: $"{Actor.Of(context.HttpContext.User)} has made as many of these requests as one identity may in a minute. Try again in {retryAfter} s, or ask an operator to raise RateLimits.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }

    static (string Authority, string? Audience)? Jwt(IConfiguration config) =>
        config["Auth:Jwt:Authority"] is { Length: > 0 } authority ? (authority, config["Auth:Jwt:Audience"] is { Length: > 0 } audience ? audience : null) : null;

    /// <summary>The first address the configuration makes the app listen on that is not loopback, or null when all are.</summary>
    static string? NonLoopbackAddress(IConfiguration config)
    {
        if (config["http_ports"] is { Length: > 0 } || config["https_ports"] is { Length: > 0 }) return $"every interface (ports {config["http_ports"] ?? config["https_ports"]})";
        var urls = (config["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        foreach (var url in urls)
        {
            var host = url.Split("://", 2)[^1].Split('/')[0];
            host = host.StartsWith('[') ? host[1..host.IndexOf(']')] : host.Split(':')[0];
            if (host != "localhost" && !(IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip))) return url;
        }
        return null;
    }

    /// <summary>The roles that may call an endpoint, any one of them (admin may do everything).</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder endpoint, params string[] roles) where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireAuthorization(new AuthorizationPolicyBuilder(Selector).RequireRole([.. roles, Roles.Admin]).Build());

    /// <summary>Rate limiting, the login page, and the order they need: after authentication (WebApplication adds it first), so limits are per identity.</summary>
    public static WebApplication UseMlOpsSecurity(this WebApplication app)
    {
        // At start, not at the first request: bad key settings stop the start, and a new admin key is printed now.
        var keys = app.Services.GetRequiredService<ApiKeys>();
        if (!app.Services.GetRequiredService<WebhookPolicy>().Signs)
            app.Logger.LogWarning("Webhook calls will not be signed: set Webhooks:SigningSecret (or Webhooks:SigningSecretFile) so receivers can check they come from MlOps.");
        if (keys.Count == 0 && Jwt(app.Configuration) is null && app.Configuration["Auth:Anonymous"] is not { Length: > 0 })
            app.Logger.LogWarning("No API key (Auth:ApiKeys, Auth:AdminKeyFile), no token issuer (Auth:Jwt:Authority) and no anonymous access: " +
                "every request but the health probes will be refused. See the README's Security section.");
        app.UseRateLimiter();
        app.MapGet("/login", (string? returnUrl) => Results.Content(LoginPage(returnUrl, null), "text/html; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/login", async (HttpContext http, ApiKeys keys) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var key = form["key"].FirstOrDefault()?.Trim() ?? "";
            var back = LocalPath(form["returnUrl"].FirstOrDefault());
            if (!keys.TryFind(key, out _, out _))
                return Results.Content(LoginPage(back, "That key is not one MlOps knows. The local admin key is in the data folder's admin.key."), "text/html; charset=utf-8", statusCode: 401);
            http.Response.Cookies.Append(ApiKeys.Cookie, key, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = "/", MaxAge = TimeSpan.FromDays(7),
            });
            return Results.Redirect(back);
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    static string LocalPath(string? url) => url is { Length: > 0 } && url.StartsWith('/') && !url.StartsWith("//") && !url.Contains('\\') ? url : "/console";

    static string LoginPage(string? returnUrl, string? error) =>
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MlOps: sign in</title>" +
        "<style>body{font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem;color:#222}input{width:100%;padding:.5rem;margin:.5rem 0;font-family:monospace}" +
        "button{padding:.5rem 1rem}.error{color:#b00020}</style></head><body><h1>MlOps</h1>" +
        "<p>Paste an API key. The local admin key is in the data folder's <code>admin.key</code> (printed at first start).</p>" +
        (error is null ? "" : $"<p class=\"error\">{Html.E(error)}</p>") +
        $"<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"returnUrl\" value=\"{Html.E(LocalPath(returnUrl))}\">" +
        "<input type=\"password\" name=\"key\" autocomplete=\"current-password\" autofocus aria-label=\"API key\"><button type=\"submit\">Sign in</button></form></body></html>";
}

/// <summary>
/// Refusals as ProblemDetails: 401 says how to authenticate (a person opening a page is sent to /login instead), 403
/// names the role the endpoint needs and the caller's identity.
/// </summary>
sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await next(context);
            return;
        }
        var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).Distinct().ToList();
        if (result.Challenged)
        {
            if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Accept.ToString().Contains("text/html"))
            {
                context.Response.Redirect("/login?returnUrl=" + Uri.EscapeDataString(context.Request.Path + context.Request.QueryString));
                return;
            }
            await context.ChallengeAsync();
            // Why the credentials sent were refused (an unknown key, an expired or foreign token), where some were sent.
            var refused = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure?.Message is { } why ? why + " " : "";
            await Results.Problem(statusCode: 401, title: "Authentication required",
                detail: refused + "Send an API key (header X-Api-Key) or a bearer token from the configured OpenID Connect issuer. " +
                        "The embedded app's local admin key is in its data folder's admin.key (printed at first start).")
                .ExecuteAsync(context);
            return;
        }
        await context.ForbidAsync();
        await Results.Problem(statusCode: 403, title: "Not allowed",
            detail: $"{Actor.Of(context.User)} lacks the role this needs: {string.Join(" or ", needed)}.")
            .ExecuteAsync(context);
    }
}
