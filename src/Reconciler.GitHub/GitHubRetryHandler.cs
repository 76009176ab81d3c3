using System.Globalization;
using System.Net;

namespace Reconciler.GitHub;

/// <summary>
/// Sits under Octokit's HTTP stack and retries what is worth retrying (see
/// <see cref="GitHubRetryPolicy"/>). Every retry and every give-up is reported through
/// <c>report</c>; the Authorization header is never part of a report.
/// </summary>
internal sealed class GitHubRetryHandler(
    GitHubRetryPolicy policy,
    Action<string> report,
    TimeProvider time,
    Func<TimeSpan, CancellationToken, Task> delay) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var what = $"{request.Method} {request.RequestUri?.AbsolutePath}";
        for (var attempt = 1; ; attempt++)
        {
            var message = attempt == 1 ? request : Clone(request, body);
            HttpResponseMessage? response = null;
            Exception? failure = null;
            // Each attempt has its own time limit, so a hung connection is retried like a refused one.
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptTimeout.CancelAfter(policy.RequestTimeout);
                try
                {
                    response = await base.SendAsync(message, attemptTimeout.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException e)
                {
                    failure = e;
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new TimeoutException($"no answer within {Seconds(policy.RequestTimeout)}", e);
                }
            }

            var (retry, wait, why) = Decide(response, failure, attempt);
            if (!retry)
            {
                if (why is not null) report($"GitHub: {what}: {why}; not retrying");
                if (response is not null) return response;
                throw failure!;
            }
            if (attempt >= policy.MaxAttempts)
            {
                report($"GitHub: {what}: {why}; giving up after {attempt} attempts");
                if (response is not null) return response;
                throw failure!;
            }
            report($"GitHub: {what}: {why}; retrying in {Seconds(wait)} (attempt {attempt + 1} of {policy.MaxAttempts})");
            response?.Dispose();
            if (!ReferenceEquals(message, request)) message.Dispose();
            await delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether to retry, how long to wait first, and why (null when the answer is fine).</summary>
    internal (bool Retry, TimeSpan Wait, string? Why) Decide(HttpResponseMessage? response, Exception? failure, int attempt)
    {
        if (response is null)
        {
            return (true, Backoff(attempt), $"no answer ({failure?.GetType().Name}: {failure?.Message})");
        }
        var status = (int)response.StatusCode;
        var answer = $"answered {status} {response.ReasonPhrase}".TrimEnd();
        var retryAfter = RetryAfter(response);
        var remaining = Header(response, "X-RateLimit-Remaining");
        var reset = Header(response, "X-RateLimit-Reset");
        if (status is 403 or 429 && (retryAfter is not null || remaining == "0"))
        {
            var wait = retryAfter ?? UntilReset(reset) ?? Backoff(attempt);
            var why = $"{answer} (rate limited{(reset is null ? "" : ", resets at " + ResetText(reset))})";
            if (wait > policy.MaxRateLimitWait)
            {
                return (false, wait, $"{why}; that is more than the {Seconds(policy.MaxRateLimitWait)} this client waits");
            }
            return (true, wait, why);
        }
        if (status == 429) return (true, Backoff(attempt), answer);
        if (status >= 500)
        {
            var wait = retryAfter is { } ra && ra <= policy.MaxRateLimitWait ? ra : Backoff(attempt);
            return (true, wait, answer);
        }
        return (false, TimeSpan.Zero, null);
    }

    private TimeSpan Backoff(int attempt)
    {
        var seconds = policy.BaseDelay.TotalSeconds * Math.Pow(2, attempt - 1);
        seconds = Math.Min(seconds, policy.MaxDelay.TotalSeconds);
        if (policy.Jitter > 0) seconds *= 1 + ((Random.Shared.NextDouble() * 2) - 1) * policy.Jitter;
        return TimeSpan.FromSeconds(Math.Max(0, seconds));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private TimeSpan? UntilReset(string? reset)
    {
        if (!long.TryParse(reset, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)) return null;
        var wait = DateTimeOffset.FromUnixTimeSeconds(epoch) - time.GetUtcNow() + TimeSpan.FromSeconds(1);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private static string ResetText(string reset) =>
        long.TryParse(reset, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) && epoch < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(epoch).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : reset;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    private static string Seconds(TimeSpan t) =>
        t.TotalSeconds < 10 ? t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s" : Math.Ceiling(t.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";

    private static HttpRequestMessage Clone(HttpRequestMessage request, byte[]? body)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers) clone.Headers.TryAddWithoutValidation(header.Key, header.Value);
        foreach (var option in request.Options) ((IDictionary<string, object?>)clone.Options)[option.Key] = option.Value;
        if (body is not null)
        {
            clone.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers) clone.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return clone;
    }
}
