package dev.wrenn.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * An API object's fields, by the API's names (api.md) and in its order. Both the {@code --json} output
 * and the {@code key: value} details come from here, so they never disagree. Values are what JSON can
 * hold as is: strings, numbers, booleans, string maps and null.
 *
 * @param <T> the SDK type the fields are read from
 */
final class Fields<T> {
    private record Field<T>(String name, Function<T, ?> value) {}

    private final List<Field<T>> fields = new ArrayList<>();

    Fields<T> add(String name, Function<T, ?> value) {
        fields.add(new Field<>(name, value));
        return this;
    }

    Map<String, Object> of(T object) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Field<T> f : fields) m.put(f.name(), f.value().apply(object));
        return m;
    }
}
