namespace MlOps.Monitor;

// What monitor replicas send each other through the partition queues (monitor-partition-{k}); nothing outside monitor reads them.

/// <summary>Every replica sends one to every partition queue every Monitor:PartitionTick: whoever receives it owns the partition.</summary>
public record PartitionTick(int Partition);

/// <summary>GET /monitor/{p} on any replica, answered by the pipeline's owner.</summary>
public record WatchStatusAsked(string Pipeline);
public record WatchStatusAnswer(WatchStatus? Status);

/// <summary>POST /monitor/{p}/feedback on any replica, taken by the pipeline's owner (labels, windows, triggers live there).</summary>
public record FeedbackSubmitted(string Pipeline, IReadOnlyList<FeedbackItem> Items);
public record FeedbackAnswer(FeedbackResult Result);

/// <summary>Every replica tells every other it is there, every tick (each has a queue of its own): how many share the partitions.</summary>
public record MonitorAlive(string Instance);
