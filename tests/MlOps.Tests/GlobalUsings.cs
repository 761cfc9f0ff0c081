// The namespaces nearly every test file reads: the HTTP client, JSON, the contracts, the artifact store and xunit.
global using System.Globalization;
global using System.Net;
global using System.Net.Http.Json;
global using System.Text;
global using System.Text.Json;
global using Microsoft.AspNetCore.Builder;
global using Microsoft.AspNetCore.Hosting;
global using Microsoft.AspNetCore.Http;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using MlOps.Contracts;
global using MlOps.ServiceDefaults.Artifacts;
global using Xunit;
global using static MlOps.Tests.Waits;
