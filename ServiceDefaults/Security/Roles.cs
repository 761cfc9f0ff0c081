namespace MlOps.ServiceDefaults.Security;

/// <summary>
/// Who may do what. Every caller is one identity with one or more roles; <see cref="Admin"/> may do everything, and every
/// role may read (runs, specs, models, reports, the console). The endpoints name the role they need (<see cref="SecurityExtensions.Requires"/>).
/// </summary>
public static class Roles
{
    /// <summary>Reads everything: runs, specs, model versions and logs, reports, the console.</summary>
    public const string Viewer = "viewer";
    /// <summary>Writes specs, uploads data, asks for a retrain, cancels a run.</summary>
    public const string Author = "author";
    /// <summary>Sends feedback (true labels of served predictions), which becomes training data.</summary>
    public const string Labeler = "labeler";
    /// <summary>Approves over the gate, moves aliases, sets tags, promotes, rolls back, retires, cancels a run.</summary>
    public const string Approver = "approver";
    /// <summary>Asks a served model for predictions (the Open Inference Protocol's infer).</summary>
    public const string Predictor = "predictor";
    /// <summary>Everything.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Author, Labeler, Approver, Predictor, Admin];
}
