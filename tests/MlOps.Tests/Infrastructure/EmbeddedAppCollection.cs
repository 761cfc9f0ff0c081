namespace MlOps.Tests;

/// <summary>
/// Tests that start the embedded app run one at a time (as when they were one class): each app trains, serves and monitors
/// on the same two cores, and timing-sensitive rollouts should not compete with another app.
/// </summary>
[CollectionDefinition(nameof(EmbeddedAppCollection))]
public class EmbeddedAppCollection;
