"""The Azure Functions app: builds the `df.DFApp` and registers dagmaster's blueprints."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
