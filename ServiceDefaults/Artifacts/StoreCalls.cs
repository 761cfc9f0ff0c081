using System.Diagnostics.Metrics;

namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>
/// Counts the object store's calls: every request the S3 client puts on the wire (<see cref="StoreCallCounter"/>, hidden ones
/// included) and every call of the filesystem store, by operation (get, head, put, list, delete, bucket). Two readers:
/// the OpenTelemetry counter <c>mlops.store.calls</c> (meter <see cref="MeterName"/>, tags <c>operation</c>), and the
/// <see cref="Tally"/> of the work under way: every consumed message opens one (the stage clock's filter), and so does every
/// HTTP request that may start or change a run, so the calls a run cost in a stage travel on the events it publishes and the
/// registry adds them up per run.
/// On a cluster each call is a network round trip; the count is how a change that saves or adds one is seen.
/// </summary>
public static class StoreCalls
{
    public const string MeterName = "MlOps.Store";

    static readonly Meter Meter = new(MeterName);
    static readonly Counter<long> Calls = Meter.CreateCounter<long>("mlops.store.calls", "{call}", "Requests made to the object store, by operation.");
    static readonly AsyncLocal<Tally?> Current = new();

    /// <summary>The operations counted (a closed set, so a dashboard's legend does not grow with keys).</summary>
    public enum Operation { Get, Head, Put, List, Delete, Bucket }

    /// <summary>Starts counting the calls made from here on in this flow of work (and whatever it awaits); returns the tally.</summary>
    public static Tally Begin() => Current.Value = new Tally();

    /// <summary>The tally of the work under way, or null outside any.</summary>
    public static Tally? Open => Current.Value;

    internal static void Record(Operation operation)
    {
        Calls.Add(1, new KeyValuePair<string, object?>("operation", Name(operation)));
        Current.Value?.Add(operation);
    }

    public static string Name(Operation operation) => operation.ToString().ToLowerInvariant();

    /// <summary>"get=2,put=5": the header's form, short and readable in a broker's message view.</summary>
    public static string Format(IReadOnlyDictionary<string, long> calls) => string.Join(",", calls.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The header read back; null when absent or not of that form (an older sender, a hand-made message).</summary>
    public static IReadOnlyDictionary<string, long>? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || !long.TryParse(part.AsSpan(eq + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
                || !Enum.GetValues<Operation>().Any(o => Name(o) == part[..eq]))
                return null;
            calls[part[..eq]] = calls.GetValueOrDefault(part[..eq]) + n;
        }
        return calls;
    }

    /// <summary>Calls counted for one piece of work, by operation. Thread-safe: a stage may call the store from several tasks.</summary>
    public sealed class Tally
    {
        readonly long[] _counts = new long[Enum.GetValues<Operation>().Length];
        readonly long[] _reported = new long[Enum.GetValues<Operation>().Length];

        internal void Add(Operation operation) => Interlocked.Increment(ref _counts[(int)operation]);

        object? _lastMessage;
        string _lastShare = "";

        /// <summary>
        /// The calls made since the previous message published in this work (each event carries its own share, so the
        /// registry can add them up), in the header's form; the same answer when asked again for the same message.
        /// </summary>
        public string ShareOf(object message)
        {
            lock (_reported)
            {
                if (ReferenceEquals(message, _lastMessage)) return _lastShare;
                var calls = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var o in Enum.GetValues<Operation>())
                {
                    var now = Interlocked.Read(ref _counts[(int)o]);
                    if (now > _reported[(int)o]) calls[Name(o)] = now - _reported[(int)o];
                    _reported[(int)o] = now;
                }
                _lastMessage = message;
                return _lastShare = Format(calls);
            }
        }

        /// <summary>The non-zero counts, by operation name.</summary>
        public IReadOnlyDictionary<string, long> ByOperation() => Enum.GetValues<Operation>()
            .Where(o => Interlocked.Read(ref _counts[(int)o]) > 0)
            .ToDictionary(Name, o => Interlocked.Read(ref _counts[(int)o]));
    }
}

/// <summary>Counts each request the S3 client sends, by what it asks for, before handing it on.</summary>
public sealed class StoreCallCounter(string bucket) : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        StoreCalls.Record(OperationOf(request, bucket));
        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// Path style (<c>host/bucket/key</c>) or virtual-host style (<c>bucket.host/key</c>): no key is a bucket call (or a
    /// listing, with a query other than <c>?location</c>), a key an object call.
    /// </summary>
    public static StoreCalls.Operation OperationOf(HttpRequestMessage request, string bucket)
    {
        var uri = request.RequestUri;
        var path = uri?.AbsolutePath.Trim('/') ?? "";
        var onObject = uri?.Host.StartsWith(bucket + ".", StringComparison.OrdinalIgnoreCase) == true ? path.Length > 0 : path.Contains('/');
        var method = request.Method;
        if (!onObject)
            return method == HttpMethod.Get && uri?.Query.Length > 1 && !uri.Query.Contains("location", StringComparison.Ordinal) ? StoreCalls.Operation.List : StoreCalls.Operation.Bucket;
        if (method == HttpMethod.Head) return StoreCalls.Operation.Head;
        if (method == HttpMethod.Put || method == HttpMethod.Post) return StoreCalls.Operation.Put;
        if (method == HttpMethod.Delete) return StoreCalls.Operation.Delete;
        return StoreCalls.Operation.Get;
    }
}
