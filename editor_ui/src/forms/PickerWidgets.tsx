/** `format: secret` and `format: store` fields: pick an existing name (or type a new one). */
import type { WidgetProps } from "@rjsf/utils";
import { useFieldContext } from "./fieldContext";

function NamePicker({ id, value, onChange, names, kind }: WidgetProps & { names: string[]; kind: string }) {
  const listId = `${id}-names`;
  return (
    <div className="picker">
      <input
        id={id}
        list={listId}
        value={typeof value === "string" ? value : ""}
        placeholder={names.length ? `choose a ${kind}` : `no ${kind}s yet — type a name`}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
      />
      <datalist id={listId}>
        {names.map((n) => <option key={n} value={n} />)}
      </datalist>
    </div>
  );
}

export function SecretWidget(props: WidgetProps) {
  return <NamePicker {...props} names={useFieldContext().secretNames} kind="secret" />;
}

export function StoreWidget(props: WidgetProps) {
  return <NamePicker {...props} names={useFieldContext().storeNames} kind="store" />;
}
