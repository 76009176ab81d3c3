// What rendering and reading back work with everywhere: the model, the field tables and LINQ to XML.
global using System.Globalization;
global using System.Text;
global using System.Xml;
global using System.Xml.Linq;
global using Reconciler.Core.Fields;
global using Reconciler.Core.Model;
