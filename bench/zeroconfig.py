"""The zero-configuration benchmark's tables and baseline (issue 15): Debian's python3-sklearn and python3-pandas.

  generate DIR   writes five tables nobody wrote a spec for (seeded): customers.csv (an ID, two text columns, an age, a
                 spend with 5% empty cells, a signup date, a yes/no target), customers-eu.csv (the same rows as a European
                 export: semicolons, decimal commas), tickets.csv (a 300-value product code, a channel, counts with gaps,
                 a three-class priority), houses.csv (area, rooms, a district, a build year with gaps, a continuous price)
                 and orders.csv (an order ID, an ISO date-time with 2.5% empty cells, a channel, items, a price, a
                 true/false flag; returned or not, mostly by weekday and hour)
  run FILE       scikit-learn's HistGradientBoosting given the same information MlOps uses: the ID left out, each date
                 as its year, month, day, weekday and hour (pandas' .dt accessors; NaN where empty), text one-hot
                 encoded, empty cells left to the model (NaN-aware), 80/20 split; prints one JSON line
"""
import datetime
import json
import random
import sys
import time


def generate(folder):
    rng = random.Random(15)
    cities, plans, channels = ["Lyon", "Porto", "Graz", "Turku", "Cork", "Brno"], ["basic", "plus", "pro"], ["web", "phone", "shop", "partner"]
    rows = []
    for i in range(20000):
        city, plan, age, spend = rng.randrange(6), rng.randrange(3), 18 + rng.randrange(60), 20 + rng.random() * 80
        risk = 1.6 * plan - 0.03 * spend + (1.2 if city < 2 else 0) - 0.02 * (age - 40) + (rng.random() - 0.5) * 2
        rows.append((f"C-{100000 + i}", cities[city], plans[plan], age, None if rng.randrange(20) == 0 else spend,
                     f"2024-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}", "yes" if risk > 0.5 else "no"))
    header = "customer_id,city,plan,age,monthly_spend,signup,churn"
    def spend(v, comma):
        return "" if v is None else (f"{v:.2f}".replace(".", ",") if comma else f"{v:.2f}")
    with open(f"{folder}/customers.csv", "w") as f:
        f.write(header + "\n" + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},{spend(r[4], False)},{r[5]},{r[6]}\n" for r in rows))
    with open(f"{folder}/customers-eu.csv", "w") as f:
        f.write(header.replace(",", ";") + "\n" + "".join(f"{r[0]};{r[1]};{r[2]};{r[3]};{spend(r[4], True)};{r[5]};{r[6]}\n" for r in rows))
    with open(f"{folder}/tickets.csv", "w") as f:
        f.write("product,channel,items,waited_minutes,priority\n")
        for _ in range(20000):
            product, channel, items = rng.randrange(300), rng.randrange(4), 1 + rng.randrange(9)
            waited = rng.random() * 120
            score = (product % 7) / 3 + (1.5 if channel == 1 else 0) + 0.02 * waited + 0.1 * items + rng.gauss(0, 0.8)
            priority = "low" if score < 1.8 else "medium" if score < 3.2 else "high"
            f.write(f"P-{product:04d}x,{channels[channel]},{items},{'' if rng.randrange(25) == 0 else f'{waited:.1f}'},{priority}\n")
    with open(f"{folder}/houses.csv", "w") as f:
        f.write("area,rooms,district,built,price\n")
        for _ in range(20000):
            area, rooms, district, built = 30 + rng.random() * 170, 1 + rng.randrange(6), rng.randrange(8), 1900 + rng.randrange(124)
            price = area * (2.5 + 0.4 * district) + 15 * rooms - 0.3 * (2024 - built) + rng.gauss(0, 40)
            f.write(f"{area:.1f},{rooms},D{district},{'' if rng.randrange(15) == 0 else built},{price:.1f}\n")
    start = datetime.datetime(2024, 1, 1)
    with open(f"{folder}/orders.csv", "w") as f:
        f.write("order_id,placed_at,channel,items,price,gift,returned\n")
        for i in range(20000):
            at = start + datetime.timedelta(minutes=rng.randrange(365 * 24 * 60))
            channel, items, price, gift = rng.randrange(3), 1 + rng.randrange(6), 5 + rng.random() * 95, rng.randrange(5) == 0
            p = 0.08 + (0.45 if at.weekday() >= 5 else 0) + (0.3 if at.hour >= 20 else 0) + (0.05 if channel == 0 else 0) + (0.05 if gift else 0) + price / 2000
            placed = "" if i % 40 == 3 else at.strftime("%Y-%m-%dT%H:%M:%S" if i % 2 == 0 else "%Y-%m-%d %H:%M")
            f.write(f"ORD-{100000 + i},{placed},{['web', 'app', 'store'][channel]},{items},{price:.2f},{'true' if gift else 'false'},{'yes' if rng.random() < p else 'no'}\n")


def run(path):
    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    frame = pd.read_csv(path, sep=None, engine="python", decimal="," if path.endswith("-eu.csv") else ".")
    target = frame.columns[-1]
    y = frame[target]
    x = frame.drop(columns=[target] + [c for c in ("customer_id", "order_id") if c in frame])
    for column in [c for c in ("signup", "placed_at") if c in x]:
        when = pd.to_datetime(x[column])
        for part, values in (("year", when.dt.year), ("month", when.dt.month), ("day", when.dt.day), ("weekday", when.dt.weekday), ("hour", when.dt.hour)):
            x[f"{column}_{part}"] = values.astype(float)
        x = x.drop(columns=[column])
    x = pd.get_dummies(x, columns=[c for c in x.columns if x[c].dtype == object], dtype=float)
    regression = pd.api.types.is_float_dtype(y) and y.nunique() > 20
    x_train, x_test, y_train, y_test = train_test_split(x.to_numpy(float), y.to_numpy(), test_size=0.2, random_state=42)
    model = (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(random_state=42)
    start = time.perf_counter()
    model.fit(x_train, y_train)
    fit = time.perf_counter() - start
    score = r2_score(y_test, model.predict(x_test)) if regression else accuracy_score(y_test, model.predict(x_test))
    print(json.dumps({"tool": "sklearn", "table": path.rsplit("/", 1)[-1], "metric": "r2" if regression else "accuracy", "score": score,
                      "fit_seconds": fit, "columns_after_encoding": x.shape[1], "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    {"generate": generate, "run": run}[sys.argv[1]](sys.argv[2])
