"""Team management inside a college."""

app_name = "agenda"

urlpatterns = []
