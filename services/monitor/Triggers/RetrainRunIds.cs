using System.Security.Cryptography;
using System.Text;
using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>
/// The one run-ID policy of monitor's retrains: the ID is derived from the cause (pipeline, trigger, what exactly fired, and
/// the model it fired for), so a cause seen twice (a redelivered message, two monitors, a restart between the publish and
/// the record of it) starts one run: ingest starts a given run ID once.
/// </summary>
public static class RetrainRunIds
{
    public static Guid For(string pipeline, Trigger trigger, string cause, Guid modelRunId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{pipeline}|{trigger}|{cause}|{modelRunId:N}"))[..16]);
}
