using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace MlOps.ServiceDefaults.Security;

/// <summary>
/// Where webhooks may go, and how receivers know a call is MlOps'. A webhook is a URL a pipeline's author writes, called
/// by the server: left unchecked, a way to make the server reach what only it can (its loopback, the cloud's metadata
/// service, the private network). So loopback, link-local (169.254.169.254 and the rest), private, shared (CGNAT),
/// unspecified and multicast addresses are refused: at PUT for addresses and localhost names written in the URL
/// (<see cref="Refusal"/>), and again at every call, on the addresses the name resolves to at that moment, connecting
/// only to an address that was checked (<see cref="Handler"/>: no DNS rebinding between check and connect). An operator may
/// allow hosts in service configuration (<c>Webhooks:AllowedHosts</c>: names or addresses, never in the spec). Every call
/// is signed (<see cref="Sign"/>).
/// </summary>
public sealed class WebhookPolicy
{
    public const string SignatureHeader = "X-MlOps-Signature";
    public const string TimestampHeader = "X-MlOps-Timestamp";

    readonly HashSet<string> _allowed;
    readonly byte[]? _secret;

    public WebhookPolicy(IEnumerable<string> allowedHosts, string? secret)
    {
        _allowed = new HashSet<string>(allowedHosts.Select(h => h.Trim().TrimStart('[').TrimEnd(']')).Where(h => h.Length > 0), StringComparer.OrdinalIgnoreCase);
        _secret = secret is { Length: > 0 } ? Encoding.UTF8.GetBytes(secret) : null;
    }

    /// <summary>
    /// From <c>Webhooks:AllowedHosts</c> (a list) and the signing secret: <c>Webhooks:SigningSecret</c>, else the file
    /// <c>Webhooks:SigningSecretFile</c> (made on first start, like the admin key); none when neither is set.
    /// </summary>
    public static WebhookPolicy From(IConfiguration configuration)
    {
        var allowed = configuration.GetSection("Webhooks:AllowedHosts").Get<string[]>() ?? [];
        var secret = configuration["Webhooks:SigningSecret"] is { Length: > 0 } given ? given
            : configuration["Webhooks:SigningSecretFile"] is { Length: > 0 } file ? LocalSecret.ReadOrCreate(file, "whsec_").Secret : null;
        if (secret is { Length: < 16 })
            throw new InvalidOperationException("Webhooks:SigningSecret is shorter than 16 characters; use a random one (e.g. openssl rand -hex 32).");
        return new WebhookPolicy(allowed, secret);
    }

    public bool Signs => _secret is not null;

    /// <summary>True for addresses a webhook may not reach unless allowed: loopback, link-local, private, shared, unspecified, multicast.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast)) return true;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] is 0 or 10 or 127 || b[0] >= 224                           // "this" network, private, loopback, multicast and reserved
                || (b[0] == 169 && b[1] == 254)                                   // link-local, the cloud metadata service (169.254.169.254)
                || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) // private
                || (b[0] == 100 && b[1] is >= 64 and <= 127)                      // shared address space (carrier-grade NAT)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0);                       // IETF protocol assignments
        }
        var v6 = address.GetAddressBytes();
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xfe) == 0xfc;                                            // unique local (fc00::/7; fd00:ec2::254, AWS's metadata)
    }

    bool Allowed(string host) => _allowed.Contains(host.TrimStart('[').TrimEnd(']'));

    /// <summary>Why a webhook URL is refused as written (at PUT), or null: an internal address, or a localhost name, not allowed by the operator.</summary>
    public string? Refusal(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return $"'{url}' is not an absolute http or https URL.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return $"'{url}' carries credentials in the URL; put them in the receiver's configuration instead.";
        var host = uri.IdnHost;
        if (Allowed(host)) return null;
        if (IPAddress.TryParse(host.TrimStart('[').TrimEnd(']'), out var address) && IsInternal(address))
            return $"'{url}' points at {address}, an internal address (loopback, link-local, private or metadata): webhooks may not reach those unless an operator allows the host (Webhooks:AllowedHosts).";
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return $"'{url}' points at this machine: webhooks may not reach it unless an operator allows the host (Webhooks:AllowedHosts).";
        return null;
    }

    /// <summary>
    /// The handler webhook calls go through: each connection resolves the host, refuses it when any address it resolves to is
    /// internal (unless allowed), and connects to one of the checked addresses. No redirects (a redirect could lead elsewhere).
    /// </summary>
    public SocketsHttpHandler Handler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.TrimStart('[').TrimEnd(']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
            if (!Allowed(host) && addresses.FirstOrDefault(IsInternal) is { } inside)
                throw new WebhookRefusedException($"the webhook host {host} resolves to {inside}, an internal address; allow the host in Webhooks:AllowedHosts if it is meant");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// The signature headers of a call: <c>X-MlOps-Timestamp</c> (seconds since 1970) and <c>X-MlOps-Signature</c>
    /// = <c>sha256=</c> and the hex HMAC-SHA256, keyed with the signing secret, of the timestamp, a dot and the body's bytes.
    /// A receiver recomputes it, compares in constant time, and refuses old timestamps (replays).
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> Sign(byte[] body, DateTimeOffset at)
    {
        if (_secret is null) return [];
        var timestamp = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return [(TimestampHeader, timestamp), (SignatureHeader, "sha256=" + Signature(_secret, timestamp, body))];
    }

    public static string Signature(byte[] secret, string timestamp, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(secret, (byte[])[.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]));
}

/// <summary>A webhook call refused before connecting: its host is internal and not allowed.</summary>
public sealed class WebhookRefusedException(string message) : HttpRequestException(message);
