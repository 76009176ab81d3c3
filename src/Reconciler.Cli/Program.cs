using Reconciler.Cli;

return await CliApp.RunAsync(args, Console.Out, Console.Error, Console.In, CancellationToken.None).ConfigureAwait(false);
