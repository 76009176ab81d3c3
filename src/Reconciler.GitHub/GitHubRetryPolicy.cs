namespace Reconciler.GitHub;

/// <summary>
/// How GitHub calls are retried: 5xx answers, network failures, and rate limits (403 or 429 with
/// <c>Retry-After</c> or <c>X-RateLimit-Remaining: 0</c>). Waits grow exponentially with jitter;
/// <c>Retry-After</c> and <c>X-RateLimit-Reset</c> are honoured when GitHub sends them.
/// </summary>
public sealed record GitHubRetryPolicy
{
    /// <summary>The defaults: 5 attempts, 1 s doubling to at most 30 s, rate-limit waits up to 2 min.</summary>
    public static GitHubRetryPolicy Default { get; } = new();

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait before the first retry; doubled for each later one.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest backoff wait.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest wait GitHub may ask for (Retry-After, rate-limit reset). A longer one is not
    /// waited for: the call fails at once with GitHub's answer, reported.
    /// </summary>
    public TimeSpan MaxRateLimitWait { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Random spread of each backoff wait, as a fraction (0.2 = ±20 %).</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>How long one attempt may take before it counts as failed (and is retried).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
