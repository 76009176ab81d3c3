// What the manifest rules work with everywhere: the model and its field tables, regular expressions
// and the diagnostic codes. (FluentValidation stays per file: its Severity would clash with the diagnostics'.)
global using System.Text.RegularExpressions;
global using Reconciler.Core.Fields;
global using Reconciler.Core.Model;
global using static Reconciler.Specs.DiagnosticCodes;
