using System.Security.Cryptography;

namespace MlOps.ServiceDefaults.Security;

/// <summary>
/// A secret kept in a file of this machine (the local admin key, the webhook signing secret): made on first use when the file
/// does not exist (random, readable by its owner only), read back afterwards. Processes starting together on one machine
/// agree: the secret is written aside and moved into place only if nobody did first.
/// </summary>
public static class LocalSecret
{
    /// <summary>The secret in the file, or a new one (<paramref name="prefix"/> and 64 hex digits) written there; whether it was made now.</summary>
    public static (string Secret, bool Created) ReadOrCreate(string file, string prefix)
    {
        file = Path.GetFullPath(file);
        if (File.Exists(file)) return (Read(file), false);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var secret = prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var aside = $"{file}.{Environment.ProcessId}.tmp";
        File.WriteAllText(aside, secret + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(aside, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            File.Move(aside, file, overwrite: false);
            return (secret, true);
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(aside);
            return (Read(file), false);
        }
    }

    static string Read(string file)
    {
        var secret = File.ReadAllText(file).Trim();
        if (secret.Length < 16) throw new InvalidOperationException($"{file} holds no secret (fewer than 16 characters): delete it to have a new one made.");
        return secret;
    }
}
