from ninja import NinjaAPI

api = NinjaAPI(title="Suqiu API", version="1", urls_namespace="api-v1")
