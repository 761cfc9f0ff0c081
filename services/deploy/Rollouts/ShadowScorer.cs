using System.Threading.Channels;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// Scores shadows off the request path: a request answered by production leaves a copy of its rows here (a bounded channel:
/// when full, copies are dropped, never waited for), and this loop scores them with the shadow and counts how often the
/// shadow agrees with production. The shadow's answers are never returned to a caller.
/// </summary>
public sealed class ShadowScorer(ILogger<ShadowScorer> logger) : BackgroundService
{
    readonly Channel<(Shadow Shadow, ModelInputs Batch, string[] Production)> _work =
        Channel.CreateBounded<(Shadow, ModelInputs, string[])>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Offer(Shadow shadow, ModelInputs batch, string[] production) => _work.Writer.TryWrite((shadow, batch, production));

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        await foreach (var (shadow, batch, production) in _work.Reader.ReadAllAsync(ct))
        {
            try
            {
                var answers = shadow.Model.Scorer.Score(batch);
                shadow.Record(answers.Length, answers.Where((a, i) => a.Label == production[i]).Count());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                shadow.Fail();
                logger.LogWarning("Shadow {Pipeline} v{Version} failed to score a request: {Error}", shadow.Model.Pipeline, shadow.Model.Version, e.Message);
            }
        }
    }
}
