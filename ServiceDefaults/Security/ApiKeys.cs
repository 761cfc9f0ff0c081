using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MlOps.ServiceDefaults.Security;

/// <summary>
/// The API keys a service accepts, each a name and its roles: from configuration (<c>Auth:ApiKeys:{name}:Key</c> or, better,
/// <c>Auth:ApiKeys:{name}:Sha256</c>, the key's SHA-256 in hex; <c>Auth:ApiKeys:{name}:Roles</c>, comma-separated) and the
/// local admin key (<c>Auth:AdminKeyFile</c>): created on first start when the file does not exist, printed once, read
/// back afterwards, so the embedded app and the services of one machine share it. Keys are compared by their hashes.
/// </summary>
public sealed class ApiKeys
{
    public const string Header = "X-Api-Key";
    public const string Cookie = "mlops_key";

    readonly Dictionary<string, (string Name, string[] Roles)> _byHash = new(StringComparer.Ordinal);

    public ApiKeys(IConfiguration configuration, ILogger<ApiKeys> logger)
    {
        foreach (var key in configuration.GetSection("Auth:ApiKeys").GetChildren())
        {
            var roles = (key["Roles"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = roles.Where(r => !Roles.All.Contains(r)).ToList();
            if (roles.Length == 0 || unknown.Count > 0)
                throw new InvalidOperationException($"Auth:ApiKeys:{key.Key}:Roles is '{key["Roles"]}'; give one or more of {string.Join(", ", Roles.All)}, separated by commas.");
            var hash = key["Sha256"]?.Trim().ToLowerInvariant() ?? (key["Key"] is { Length: > 0 } plain ? Hash(plain) : null);
            if (hash is null || hash.Length != 64 || !hash.All(Uri.IsHexDigit))
                throw new InvalidOperationException($"Auth:ApiKeys:{key.Key} needs Key (the key) or Sha256 (its SHA-256 in 64 hex digits).");
            if (key["Key"] is { } given && given.Length < 16)
                throw new InvalidOperationException($"Auth:ApiKeys:{key.Key}:Key is {given.Length} characters; use at least 16 (e.g. openssl rand -hex 32).");
            _byHash[hash] = ($"key:{key.Key}", roles);
        }
        if (configuration["Auth:AdminKeyFile"] is { Length: > 0 } file)
        {
            var (admin, created) = ReadOrCreate(Path.GetFullPath(file));
            _byHash[Hash(admin)] = ("key:admin", [Roles.Admin]);
            if (created)
                logger.LogWarning("Created the local admin key in {File} (shown once; keep it, it stays in that file): {Key}", Path.GetFullPath(file), admin);
        }
    }

    public int Count => _byHash.Count;

    /// <summary>True when the key is one of these; the identity's name and roles.</summary>
    public bool TryFind(string key, out string name, out string[] roles)
    {
        if (key.Length is > 0 and <= 512 && _byHash.TryGetValue(Hash(key), out var found))
        {
            (name, roles) = found;
            return true;
        }
        (name, roles) = ("", []);
        return false;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The admin key in the file, or a new one written there (readable by its owner only) when there is none.</summary>
    public static (string Key, bool Created) ReadOrCreate(string file) => LocalSecret.ReadOrCreate(file, "mlops_");
}
