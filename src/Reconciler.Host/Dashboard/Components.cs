namespace Reconciler.Host.Dashboard;

// The class-level contracts of the Razor components (their markup is in the .razor files of the same name).

/// <summary>The page frame: head, navigation, sign-in state, heading, the live-update notice.</summary>
public partial class Shell
{
}

/// <summary>The action buttons (reconcile now, suspend/resume) with their anti-forgery token.</summary>
public partial class Actions
{
}

/// <summary>A resource's summary state as a shape and a word, so it reads without colour.</summary>
public partial class StateBadge
{
}

/// <summary>The resources table: one row per resource; sortable headers when given a query.</summary>
public partial class ResourceTable
{
}

/// <summary><c>/</c>: source, controller, nodes, counts per condition, last pass, every resource, actions.</summary>
public partial class OverviewPage
{
}

/// <summary><c>/resources</c>: the filtered, sorted, searched table.</summary>
public partial class ResourcesPage
{
}

/// <summary><c>/resources/NODE/KIND/NAME</c>: one resource in full.</summary>
public partial class ResourcePage
{
}

/// <summary><c>/activity</c>: the last passes, newest first.</summary>
public partial class ActivityPage
{
}

/// <summary><c>/login</c>: the API-token form that sets the session cookie.</summary>
public partial class LoginPage
{
}
