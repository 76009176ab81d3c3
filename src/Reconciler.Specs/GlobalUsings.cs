// What the loader, the kinds and the validation rules work with everywhere: the model and its
// field tables, this project's parsing and kinds, regular expressions and the diagnostic codes.
// (FluentValidation stays per file: its Severity would clash with Reconciler.Core.Diagnostics'.)
global using System.Text.RegularExpressions;
global using Reconciler.Core.Fields;
global using Reconciler.Core.Model;
global using Reconciler.Specs.Kinds;
global using Reconciler.Specs.Parsing;
global using static Reconciler.Specs.DiagnosticCodes;
