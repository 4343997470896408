// Labelled form controls; a control with a problem says so (aria-invalid) and points at the
// message under it (aria-describedby), so screen readers read the problem with the field.
import {
  type InputHTMLAttributes,
  type ReactNode,
  type Ref,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
} from "react";

interface FieldFrameProps {
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
}

function describedBy(hintId: string, errorId: string, p: FieldFrameProps): string | undefined {
  return (
    [p.error ? errorId : undefined, p.hint ? hintId : undefined].filter(Boolean).join(" ") ||
    undefined
  );
}

function FieldFrame({
  id,
  hintId,
  errorId,
  label,
  hint,
  error,
  children,
}: FieldFrameProps & { id: string; hintId: string; errorId: string; children: ReactNode }) {
  return (
    <div className={`field${error ? " field--invalid" : ""}`}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children}
      {hint && (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

export function TextField({
  label,
  hint,
  error,
  ref,
  ...input
}: FieldFrameProps & InputHTMLAttributes<HTMLInputElement> & { ref?: Ref<HTMLInputElement> }) {
  const id = useId();
  const ids = { id, hintId: `${id}-hint`, errorId: `${id}-error` };
  return (
    <FieldFrame {...ids} label={label} hint={hint} error={error}>
      <input
        ref={ref}
        id={id}
        className="field__control"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(ids.hintId, ids.errorId, { label, hint, error })}
        {...input}
      />
    </FieldFrame>
  );
}

export function SelectField({
  label,
  hint,
  error,
  ref,
  children,
  ...select
}: FieldFrameProps &
  SelectHTMLAttributes<HTMLSelectElement> & { ref?: Ref<HTMLSelectElement>; children: ReactNode }) {
  const id = useId();
  const ids = { id, hintId: `${id}-hint`, errorId: `${id}-error` };
  return (
    <FieldFrame {...ids} label={label} hint={hint} error={error}>
      <select
        ref={ref}
        id={id}
        className="field__control"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(ids.hintId, ids.errorId, { label, hint, error })}
        {...select}
      >
        {children}
      </select>
    </FieldFrame>
  );
}

export function TextAreaField({
  label,
  hint,
  error,
  ref,
  ...area
}: FieldFrameProps &
  TextareaHTMLAttributes<HTMLTextAreaElement> & { ref?: Ref<HTMLTextAreaElement> }) {
  const id = useId();
  const ids = { id, hintId: `${id}-hint`, errorId: `${id}-error` };
  return (
    <FieldFrame {...ids} label={label} hint={hint} error={error}>
      <textarea
        ref={ref}
        id={id}
        className="field__control field__control--code"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(ids.hintId, ids.errorId, { label, hint, error })}
        {...area}
      />
    </FieldFrame>
  );
}

/** One choice of a few, as radio buttons in a fieldset (arrow keys move between them). */
export function ChoiceField<V extends string>({
  legend,
  name,
  value,
  options,
  onChange,
  error,
}: {
  legend: string;
  name: string;
  value: V;
  options: readonly { value: V; label: string }[];
  onChange: (value: V) => void;
  error?: string;
}) {
  const errorId = `${useId()}-error`;
  return (
    <fieldset
      className={`choice${error ? " field--invalid" : ""}`}
      aria-describedby={error ? errorId : undefined}
    >
      <legend className="field__label">{legend}</legend>
      <div className="choice__options">
        {options.map((o) => (
          <label key={o.value} className="choice__option">
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={value === o.value}
              onChange={() => onChange(o.value)}
            />
            {o.label}
          </label>
        ))}
      </div>
      {error && (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
